"""Turn project components off for one spider (the probe and the replay do not crawl)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.utils.misc import load_object

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


def turn_off(settings: BaseSettings, setting: str, *components: type) -> None:
    """Disable ``components`` in the component dict ``setting``, keeping the others as configured."""
    enabled = settings.getdict(setting)
    for component in components:
        enabled = {
            key: value for key, value in enabled.items() if load_object(key) is not component
        }
        enabled[component] = None
    # Spider priority: the crawler merges the project's settings in again after update_settings.
    settings.set(setting, enabled, priority="spider")
