"""A local, Lambda-faithful runtime: API Gateway (REST, proxy integration) in front of the real Lambda
runtime interface client, built from the image's Dockerfile, with no Docker.

    from local_runtime import LocalGateway, Settings
    with LocalGateway(Settings(port=0)) as url:
        ...  # send HTTP requests to url
"""

from local_runtime.gateway import LocalGateway, Settings

__all__ = ["LocalGateway", "Settings"]
