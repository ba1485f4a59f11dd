"""Worker configuration from environment variables: ``from gmi_ieops.config import env``."""

from .env import Env, env
from .errors import ConfigError, ConfigIssue
from .groups import (
    ApiEnv,
    AppEnv,
    DeviceEnv,
    LogEnv,
    ModelEnv,
    RegisterEnv,
    ServerEnv,
    StorageEnv,
)
from .variable import EnvGroup, EnvVar

__all__ = [
    "ApiEnv",
    "AppEnv",
    "ConfigError",
    "ConfigIssue",
    "DeviceEnv",
    "Env",
    "EnvGroup",
    "EnvVar",
    "LogEnv",
    "ModelEnv",
    "RegisterEnv",
    "ServerEnv",
    "StorageEnv",
    "env",
]
