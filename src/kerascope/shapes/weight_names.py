def name_weights(report, sites):
    pass
