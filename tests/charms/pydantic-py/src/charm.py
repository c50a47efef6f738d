#!/usr/bin/env python3
"""pydantic-py: a charm whose config is a pydantic v2 model."""

import base64
import json
import lzma

import bcrypt
import charset_normalizer
import jinja2
import jiter
import jsonschema
import ops
import pydantic

REPORT = jinja2.Template(
    '{{ verdict }} ({{ encoding }}){% for e in errors %}; {{ e }}{% endfor %} {{ mark }}',
    autoescape=True,
)


class WorkloadConfig(pydantic.BaseModel):
    """The charm's options, as the workload needs them."""

    model_config = pydantic.ConfigDict(extra='forbid', frozen=True)

    hostname: str = pydantic.Field(pattern=r'^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$')
    port: int = pydantic.Field(ge=1, le=65535)
    replicas: int = pydantic.Field(ge=1)

    @pydantic.field_validator('replicas')
    @classmethod
    def odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError('must be odd for a quorum')
        return value


class PydanticCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.config_changed, self._on_config_changed)
        framework.observe(self.on.schema_action, self._on_schema)
        framework.observe(self.on.render_action, self._on_render)
        framework.observe(self.on.hash_action, self._on_hash)

    def _on_config_changed(self, event: ops.ConfigChangedEvent) -> None:
        try:
            config = WorkloadConfig.model_validate(dict(self.config))
        except pydantic.ValidationError as e:
            problems = '; '.join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
            )
            self.unit.status = ops.BlockedStatus(problems)
            return
        self.unit.status = ops.ActiveStatus(config.model_dump_json())

    def _on_schema(self, event: ops.ActionEvent) -> None:
        event.set_results({'schema': json.dumps(WorkloadConfig.model_json_schema(), sort_keys=True)})

    def _on_hash(self, event: ops.ActionEvent) -> None:
        password = event.params['password'].encode('utf-8')
        hashed = bcrypt.hashpw(password, bcrypt.gensalt(rounds=4))
        parsed = jiter.from_json(b'{"n": [1, 2.5, "x"], "ok": true}')
        event.set_results({
            'prefix': hashed[:7].decode(),
            'checks': str(bcrypt.checkpw(password, hashed)),
            'wrong': str(bcrypt.checkpw(b'wrong', hashed)),
            'parsed': json.dumps(parsed, sort_keys=True),
        })

    def _on_render(self, event: ops.ActionEvent) -> None:
        raw = event.params['document'].encode('utf-8')
        encoding = charset_normalizer.from_bytes(raw).best().encoding
        validator = jsonschema.Draft202012Validator(WorkloadConfig.model_json_schema())
        errors = sorted(e.message for e in validator.iter_errors(json.loads(raw)))
        verdict = 'invalid' if errors else 'valid'
        # As cosl's LZMABase64 packs Grafana dashboards.
        packed = base64.b64encode(lzma.compress(raw)).decode()
        assert lzma.decompress(base64.b64decode(packed)) == raw
        event.set_results({
            'report': REPORT.render(verdict=verdict, encoding=encoding, errors=errors, mark='<ok>'),
            'packed': packed,
        })


if __name__ == '__main__':  # pragma: nocover
    ops.main(PydanticCharm)
