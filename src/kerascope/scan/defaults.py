"""A scan's defaults, apart, so that the command line can show them without loading
the runner and the catalog."""

DEFAULT_TIME_LIMIT = 60.0  # seconds for one file
DEFAULT_MAX_MEMORY = 4 << 30  # address space of one worker
DEFAULT_BATCH_SIZE = 500  # rows per transaction
