"""The CDK stacks of the text classifier, their settings and how the app is put together."""
