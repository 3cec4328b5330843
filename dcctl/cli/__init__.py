"""The ``dcctl`` command line: thin click commands that parse, call a room, render."""
