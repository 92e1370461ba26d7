"""The minimal Django anchor for `scripts/bench_load.py`: one table, three views, one task.

What a bare Django comments app costs on this machine, measured in the same run as newsroom
under the same gunicorn settings and database server, so newsroom's figures read as ratios.
"""
