"""The ``task_classifications`` section, read into the ``Config`` by ``exporter.configfile``
(the dataset declares it: ``TaskClassifications.config_section``) and back with
``task_classifications_config``."""

from __future__ import annotations

from dataclasses import dataclass

from exporter.config import Config
from exporter.schema import Bool, Section, setting

KEY = "task_classifications"


@dataclass(frozen=True)
class TaskClassificationsConfig:
    enabled: bool = setting(True, Bool(), "traffic share by task, 7-day window (~1 request/day)")


SECTION = Section(TaskClassificationsConfig)


def task_classifications_config(cfg: Config) -> TaskClassificationsConfig:
    return cfg.section(KEY, TaskClassificationsConfig)
