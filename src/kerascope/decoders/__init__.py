"""The floor every reader stands on: untrusted bytes decoded within limits.

Sources (a local path or a URL read by range requests), zip members read in
place, HDF5 structure through pyfive, JSON with a structure pre-scan, protobuf,
TensorFlow's tensor bundles, pickles and Python bytecode walked as data, and
line-ending repair. Every module here is public: the readers, the API and
`scan` use them by these names. None of them imports, unpickles, unmarshals or
evaluates anything a file names, and every number from a file is checked against
`Limits` before it sizes anything.
"""
