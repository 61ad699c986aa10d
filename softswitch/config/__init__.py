"""Configuration: one TOML file, validated whole into frozen dataclasses."""

from softswitch.config.first_start import CONFIG_NAME, ensure_config
from softswitch.config.listen import ListenSpec, parse_listen_spec
from softswitch.config.loader import ConfigErrors, load_config, parse_config
from softswitch.config.model import (
    Config,
    SecurityConfig,
    SipConfig,
    StorageConfig,
    UserConfig,
)

__all__ = ["CONFIG_NAME", "Config", "ConfigErrors", "ListenSpec", "SecurityConfig",
           "SipConfig", "StorageConfig", "UserConfig", "ensure_config", "load_config",
           "parse_config", "parse_listen_spec"]
