"""What `make bootstrap` does once per account besides `cdk` itself: find the repository's GitHub identity,
decide the account-level switches, and write the CloudFormation execution policy `cdk bootstrap` uses.

Run from infrastructure/ as `python -m account_setup ...` (see `__main__`); every call to `gh` or `aws`
goes through `commands.run`, so the decisions are tested offline with a fake.
"""
