"""Retries back off: 30 s, 2 min, 10 min, 30 min, 2 h unless OUTBOX_RETRY_DELAYS says otherwise."""

from __future__ import annotations

from datetime import timedelta

import pytest

from konexi.config import ConfigError, load_settings
from konexi.messaging.delivery import max_attempts, retry_delay

DEFAULTS = {"OUTBOX_RETRY_DELAYS": [30, 120, 600, 1800, 7200]}


@pytest.mark.parametrize(
    ("attempt", "seconds"), [(1, 30), (2, 120), (3, 600), (4, 1800), (5, 7200), (9, 7200)]
)
def test_each_retry_waits_longer_up_to_two_hours(attempt, seconds):
    delay = retry_delay(attempt, DEFAULTS)
    assert timedelta(seconds=seconds) <= delay <= timedelta(seconds=seconds * 1.1)


def test_a_message_gets_six_attempts_by_default(tmp_path):
    assert max_attempts(load_settings({"KONEXI_ENV": "testing"}, tmp_path).flask_config()) == 6


def test_retry_delays_come_from_the_environment(tmp_path):
    environ = {"KONEXI_ENV": "testing", "OUTBOX_RETRY_DELAYS": "0, 5"}
    config = load_settings(environ, instance_path=tmp_path).flask_config()
    assert config["OUTBOX_RETRY_DELAYS"] == [0, 5]
    default = load_settings({"KONEXI_ENV": "testing"}, instance_path=tmp_path).flask_config()
    assert default["OUTBOX_RETRY_DELAYS"] == DEFAULTS["OUTBOX_RETRY_DELAYS"]
    with pytest.raises(ConfigError, match="OUTBOX_RETRY_DELAYS"):
        load_settings({"KONEXI_ENV": "testing", "OUTBOX_RETRY_DELAYS": "soon"}, tmp_path)
