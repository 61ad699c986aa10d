"""Configuration: one TOML file, validated whole into frozen dataclasses."""

from softswitch.config.callcenter import (
    AgentSettings,
    OverflowSettings,
    QueueSettings,
    TierSettings,
)
from softswitch.config.dids import DidConfig
from softswitch.config.features import FeaturesConfig
from softswitch.config.first_start import CONFIG_NAME, ensure_config
from softswitch.config.ivr import IvrConfig
from softswitch.config.listen import ListenSpec, parse_listen_spec
from softswitch.config.loader import ConfigErrors, load_config, parse_config
from softswitch.config.model import (
    Config,
    SecurityConfig,
    SipConfig,
    StorageConfig,
    UserConfig,
)

__all__ = ["CONFIG_NAME", "AgentSettings", "Config", "ConfigErrors", "DidConfig",
           "FeaturesConfig", "IvrConfig", "ListenSpec", "OverflowSettings", "QueueSettings",
           "SecurityConfig", "SipConfig", "StorageConfig", "TierSettings", "UserConfig",
           "ensure_config", "load_config", "parse_config", "parse_listen_spec"]
