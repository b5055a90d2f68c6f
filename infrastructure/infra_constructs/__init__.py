"""Small CDK constructs the stacks are composed of (named so as not to shadow the `constructs` library)."""
