"""The function's configuration and the process environment Lambda gives each execution environment.

The runtime process gets a clean environment built like Lambda's (reserved variables, then the image's
ENV, then the function's own variables), not the developer's shell: code that silently relies on a local
variable or on AWS credentials fails here as it would in the cloud.
"""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from local_runtime.dockerfile import TASK_ROOT

ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class FunctionConfig:
    """What a DockerImageFunction is configured with, as far as the running code can observe it."""

    handler: str
    name: str = "local-function"
    memory_mb: int = 1024
    timeout_s: float = 30.0
    init_timeout_s: float = 10.0  # Lambda's limit for an on-demand environment's init
    region: str = "us-east-1"
    image_env: Mapping[str, str] = field(default_factory=dict)
    function_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.name}"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"

    def environment(self, task_root: Path, runtime_api: str) -> dict[str, str]:
        """The environment of one execution environment whose Runtime API listens on `runtime_api`."""
        executable_dir = str(Path(sys.executable).parent)
        reserved = {
            "_HANDLER": self.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}",
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": self.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": _log_stream_name(),
            "AWS_LAMBDA_RUNTIME_API": runtime_api,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": executable_dir,
            "LANG": "C.UTF-8",  # Lambda sets en_US.UTF-8, which many machines lack; C.UTF-8 is universal.
            "PATH": f"{executable_dir}:/usr/local/bin:/usr/bin:/bin",
            "PYTHONPATH": str(task_root),
            "TZ": ":UTC",
        }
        # Image ENV values were written for /var/task; here the task root is a temporary directory.
        image_env = {
            name: value.replace(str(TASK_ROOT), str(task_root)) for name, value in self.image_env.items()
        }
        return {**image_env, **self.function_env, **reserved}


def _log_stream_name() -> str:
    """Lambda names one log stream per execution environment: date/[version]random."""
    return f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{secrets.token_hex(16)}"
