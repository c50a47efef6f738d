#!/usr/bin/env python3
"""misbehave-py: does on `start` what config `mode` says (see charmcraft.yaml)."""

import json
import os
import random
import sys
import time
import uuid

import ops


class MisbehaveCharm(ops.CharmBase):
    _stored = ops.StoredState()

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self._stored.set_default(count=0)
        framework.observe(self.on.start, self._on_start)
        framework.observe(self.on.update_status, self._on_update_status)

    def _peers(self) -> ops.Relation:
        relation = self.model.get_relation('peers')
        assert relation is not None, 'no peers relation'
        return relation

    def _on_update_status(self, event: ops.UpdateStatusEvent) -> None:
        if self.config['mode'] == 'count':
            self._stored.count += 1
            self._peers().data[self.unit]['count'] = str(self._stored.count)

    def _on_start(self, event: ops.StartEvent) -> None:
        mode = self.config['mode']
        if mode == 'write-app-as-anyone':
            self._peers().data[self.app]['written'] = 'yes'
        elif mode == 'fail-after-write':
            self._peers().data[self.unit]['touched'] = 'yes'
            self._peers().data[self.app]['touched'] = 'yes'
            self.unit.status = ops.BlockedStatus('about to fail')
            raise RuntimeError('deliberate failure')
        elif mode == 'count':
            self._stored.count += 1
            self._peers().data[self.unit]['count'] = str(self._stored.count)
        elif mode == 'secret':
            secret = self.app.add_secret({'password': 's3cret'}, label='pw')
            self._peers().data[self.unit]['secret'] = secret.id or ''
        elif mode == 'exit':
            sys.exit(3)
        elif mode == 'entropy':
            bag = self._peers().data[self.unit]
            bag['random'] = repr(random.random())
            bag['uuid'] = str(uuid.uuid4())
            bag['time'] = repr(time.time())
        elif mode == 'lazy-import':
            import decimal

            self._peers().data[self.unit]['decimal'] = str(decimal.Decimal('1.10') * 3)
        elif mode == 'sleep':
            # An hour of sleeps and waits: instant, in virtual time.
            import select

            bag = self._peers().data[self.unit]
            w0, m0 = time.time(), time.monotonic()
            time.sleep(3600)
            select.select([], [], [], 1.5)
            bag['slept-monotonic'] = repr(time.monotonic() - m0)
            bag['slept-wall'] = repr(time.time() - w0)
        elif mode == 'network':
            import urllib.request

            urllib.request.urlopen('http://charmhub.io/', timeout=5)
        elif mode == 'workload-http':
            self._workload_http()
        elif mode == 'loop':
            while True:
                pass
        elif mode == 'grow':
            chunks = []
            while True:
                chunks.append(bytearray(1 << 20))
        elif mode == 'symlink-escape':
            self._symlink_escape(self.config['target'])
        elif mode == 'big-file':
            self._big_file()
        elif mode == 'output-flood':
            self._output_flood(int(self.config['calls']))
        elif mode == 'tmp-flood':
            chunk = b'x' * (1 << 20)
            with open('/tmp/flood', 'wb') as f:
                for _ in range(int(self.config['calls'])):
                    f.write(chunk)
        self.unit.status = ops.ActiveStatus()

    def _workload_http(self) -> None:
        """Talk to the workload on localhost as sidecar charms do (the ops
        examples' `get_version`), with urllib and http.client."""
        import http.client
        import urllib.error
        import urllib.request

        bag = self._peers().data[self.unit]
        with urllib.request.urlopen('http://localhost:8000/version') as r:
            version = json.loads(r.read())['version']
        self.unit.set_workload_version(version)
        req = urllib.request.Request(
            'http://127.0.0.1:8000/items', data=b'{"n": 1}', method='POST',
            headers={'Content-Type': 'application/json'},
        )
        with urllib.request.urlopen(req) as r:
            bag['created'] = f"{r.status} {r.headers['Location']}"
        try:
            urllib.request.urlopen('http://localhost:8000/missing')
        except urllib.error.HTTPError as e:
            bag['missing'] = str(e.code)
        try:
            urllib.request.urlopen('http://localhost:9999/')
        except urllib.error.URLError as e:
            bag['closed'] = f'{type(e.reason).__name__}: {e.reason.strerror}'
        c = http.client.HTTPConnection('localhost', 8000)
        c.request('PUT', '/items/1', body=iter([b'ab', b'cd']), encode_chunked=True)
        bag['chunked'] = str(c.getresponse().status)

    def _symlink_escape(self, target: str) -> None:
        """Plant relative symlinks out of /tmp and the state directory towards
        the host directory `target`, then hand them to every hook tool that
        takes a path, through the raw jujuc import; log what each answered."""
        from wit_world.imports import jujuc

        up = '../' * 32 + target.lstrip('/')
        state_dir = '/var/lib/charmbox/state'
        os.symlink(up, '/tmp/out')
        os.symlink(up + '/secret.txt', '/tmp/secret')
        os.symlink(up + '/written.txt', '/tmp/new')
        os.symlink('secret', '/tmp/chain')
        os.symlink(up + '/secret.txt', state_dir + '/secret')
        os.symlink(up, state_dir + '/out')
        rel = str(self._peers().id)
        ids = jujuc.run(['secret-ids', '--format', 'json'], b'')
        secret_id = (json.loads(ids.stdout or b'[]') or ['secret:0123456789abcdefghij'])[0]
        calls = [
            ['state-set', '--file', '/tmp/secret'],
            ['state-set', '--file', state_dir + '/secret'],
            ['state-set', '--file', '/tmp/chain'],
            ['relation-set', '-r', rel, '--file', '/tmp/secret'],
            ['relation-set', '-r', rel, '--file', '/tmp/out/secret.txt'],
            ['relation-set', '-r', rel, '--file', state_dir + '/out/secret.txt'],
            ['secret-add', 'key#file=/tmp/secret'],
            ['secret-add', '--file', '/tmp/secret'],
            ['secret-set', secret_id, 'key#file=/tmp/secret'],
            ['secret-set', secret_id, '--file', '/tmp/out/secret.txt'],
            ['k8s-spec-set', '--file', '/tmp/secret'],
            ['config-get', '-o', '/tmp/new'],
            ['config-get', '--output', '/tmp/out/written.txt'],
            ['relation-get', '-r', rel, '-o', '/tmp/new', '-', self.unit.name],
            ['status-get', '-o', '/tmp/new'],
            ['is-leader', '-o', '/tmp/new'],
            ['state-get', '-o', '/tmp/new'],
            ['secret-ids', '-o', state_dir + '/out/written.txt'],
            ['goal-state', '-o', '/tmp/new'],
        ]
        for argv in calls:
            out = jujuc.run(argv, b'')
            err = out.stderr.decode('utf-8', 'replace').strip()
            jujuc.run(['juju-log', f'ESCAPE {" ".join(argv)} => {out.code}: {err}'], b'')

    def _big_file(self) -> None:
        """Write a file one byte over the hook tools' read limit (16 MiB) in
        /tmp, hand it to the tools that read files; log what each answered."""
        from wit_world.imports import jujuc

        size = (16 << 20) + 1
        with open('/tmp/big', 'wb') as f:
            f.write(b'a: ' + b'x' * (size - 4) + b'\n')
        rel = str(self._peers().id)
        calls = [
            ['state-set', '--file', '/tmp/big'],
            ['relation-set', '-r', rel, '--file', '/tmp/big'],
            ['k8s-spec-set', '--file', '/tmp/big'],
            ['secret-add', 'key#file=/tmp/big'],
            ['secret-add', '--file', '/tmp/big'],
        ]
        for argv in calls:
            out = jujuc.run(argv, b'')
            err = out.stderr.decode('utf-8', 'replace').strip()
            jujuc.run(['juju-log', f'BIGFILE {" ".join(argv)} => {out.code}: {err}'], b'')

    def _output_flood(self, calls: int) -> None:
        """Have `config-get --output` write the config to `calls` new files in
        /tmp (the host writes them: they count against the quota too)."""
        from wit_world.imports import jujuc

        for i in range(calls):
            out = jujuc.run(['config-get', '--output', f'/tmp/out-{i}'], b'')
            if out.code != 0:
                err = out.stderr.decode('utf-8', 'replace').strip()
                raise RuntimeError(f'config-get #{i}: {err}')


if __name__ == '__main__':
    ops.main(MisbehaveCharm, use_juju_for_storage=os.environ.get('JUJU_MODEL_NAME') == 'juju-storage')
