"""The demo: `python -m demo` (`make demo`) trains if needed, serves locally, asks, prints, stops."""
