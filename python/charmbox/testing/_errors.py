"""Errors of charmbox.testing, each also one of Scenario's where Scenario has one."""

from __future__ import annotations

from scenario.errors import InconsistentScenarioError, StateValidationError


class UnrepresentableStateError(StateValidationError):
    """A State holds something charmbox cannot give the charm; names the field."""

    def __init__(self, field: str, why: str):
        super().__init__(f"charmbox cannot represent {field}: {why}")
        self.field = field


class JujuRefusedError(InconsistentScenarioError):
    """The State or event is one Juju could not produce (charmbox checks
    Juju's rules; Scenario may accept it); the message names the field."""
