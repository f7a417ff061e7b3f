"""One estimator per property, intervals, applicability domain, the bundle."""
