"""Running actions at the same instant, each in its own thread and app context (no tests here)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

from konexi.extensions import db


def all_at_once(
    app: Flask, actions: list[Callable[[], Any]]
) -> tuple[list[Any], list[BaseException]]:
    """Run each action in its own thread and app context, released together by a barrier."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(action: Callable[[], Any]) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                result = action()
                with lock:
                    results.append(result)
            except BaseException as error:  # noqa: BLE001 - every error fails the test below
                with lock:
                    errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "racers did not finish in time"
    return results, errors
