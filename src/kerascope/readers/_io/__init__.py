"""Reading untrusted bytes within limits: zip members, HDF5 structure, JSON, protobuf."""
