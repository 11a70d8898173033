"""``inferplan verify`` and ``inferplan calibrate``: a deployed endpoint measured against its
plan with a real load generator (GuideLLM), the measurements kept as data, and corrections
learnt from them for the next plan."""
