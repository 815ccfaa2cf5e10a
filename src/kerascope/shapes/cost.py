def price(report, sites, batch, use_stored):
    pass
