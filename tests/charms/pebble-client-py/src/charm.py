#!/usr/bin/env python3
"""pebble-client-py: drives ops' Pebble client on `work-pebble-ready`."""

import json

import ops


class PebbleClientCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.work_pebble_ready, self._on_ready)

    def _on_ready(self, event: ops.PebbleReadyEvent) -> None:
        c = event.workload
        c.push('/srv/app/conf.txt', 'hello\n', make_dirs=True, permissions=0o640)
        c.push('/srv/app/blob.bin', bytes(range(256)))
        c.make_dir('/srv/app/sub/dir', make_parents=True)
        pulled = c.pull('/srv/app/conf.txt').read()
        blob = c.pull('/srv/app/blob.bin', encoding=None).read()
        names = sorted(f.name for f in c.list_files('/srv/app'))
        out, err = c.exec(['greet', 'world'], environment={'WHO': 'you'}).wait_output()
        combined, _ = c.exec(['fail-soft'], combine_stderr=True).wait_output()
        try:
            c.exec(['fail'], working_dir='/srv/app').wait_output()
            failed = None
        except ops.pebble.ExecError as e:
            failed = {'code': e.exit_code, 'stdout': e.stdout, 'stderr': e.stderr}
        process = c.exec(['greet', 'again'])
        streamed = process.stdout.read()
        process.wait()
        report = {
            'pulled': pulled,
            'blob': blob == bytes(range(256)),
            'names': names,
            'out': out,
            'err': err,
            'combined': combined,
            'failed': failed,
            'streamed': streamed,
        }
        c.push('/srv/app/report.json', json.dumps(report, sort_keys=True))
        self.unit.status = ops.ActiveStatus(f"{out.strip()} / {failed['code'] if failed else 0}")


if __name__ == '__main__':  # pragma: nocover
    ops.main(PebbleClientCharm)
