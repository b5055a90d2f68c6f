"""Tools for the API's users and its operators: the breaking-change check, logs, rollback, remote tests."""
