"""`make bench`: this project and the reference system it replaces, measured side by side in one run.

See bench/run.py for what is measured and how; results go to bench/results.json (not versioned).
"""
