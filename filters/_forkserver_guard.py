"""Imported only inside datatrove's forkserver (filters.workers.install preloads it there), never elsewhere: the
forkserver dies with the filter's main process, each pool worker it forks dies with the forkserver, and the workers'
task logs stay in their files (see filters/workers.py)."""

from multiprocess import util

from filters.workers import ANCHOR, _after_fork, die_with_parent, quiet_task_logs

die_with_parent()
quiet_task_logs()
util.register_after_fork(ANCHOR, _after_fork)
