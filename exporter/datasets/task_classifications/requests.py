"""The task-classifications request: one GET of /classifications/task per window."""

from __future__ import annotations

from exporter.client import Client, MalformedResponse
from exporter.datasets.task_classifications.rows import TaskShareRow, parse_body
from exporter.snapshot import Meta

ENDPOINT = "task-classifications"  # the dataset's name: the `endpoint` label of requests
PATH = "classifications/task"  # not under datasets/, unlike the other Data API endpoints
WINDOWS = ("7d",)  # the only window the API (and the SDK's Window literal) accepts


def task_classifications(client: Client, window: str) -> tuple[list[TaskShareRow], Meta]:
    body = client.get(ENDPOINT, {"window": window}, path=PATH)
    try:
        return parse_body(body)
    except MalformedResponse as e:
        e.endpoint = ENDPOINT
        raise
