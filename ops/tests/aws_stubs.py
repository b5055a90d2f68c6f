"""Real boto3 clients whose answers are stubbed (botocore's Stubber): nothing leaves the process."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

FUNCTION = "TextClassifier-opstest-Function76856677-AbCdEf"
STAGE = "opstest"  # no outputs file exists for it, so the tools ask CloudFormation (stubbed)


class StubbedSession:
    """Stands in for boto3.Session: one real client per service, each with an active Stubber."""

    def __init__(self) -> None:
        self.clients = {}
        self.stubbers = {}
        for service in ("cloudformation", "lambda", "logs"):
            client = boto3.client(
                service,
                region_name="eu-west-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",  # pragma: allowlist secret
            )
            self.clients[service] = client
            self.stubbers[service] = Stubber(client)
            self.stubbers[service].activate()

    def client(self, service: str):
        return self.clients[service]

    def stub(self, service: str) -> Stubber:
        return self.stubbers[service]

    def stack_outputs(self, stage: str = STAGE) -> None:
        """CloudFormation names the stage's function, as `describe-stacks` would."""
        self.stub("cloudformation").add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": f"TextClassifier-{stage}",
                        "CreationTime": "2026-01-01T00:00:00Z",
                        "StackStatus": "UPDATE_COMPLETE",
                        "Outputs": [{"OutputKey": "FunctionName", "OutputValue": FUNCTION}],
                    }
                ]
            },
            {"StackName": f"TextClassifier-{stage}"},
        )

    def assert_done(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()
