"""The trained models: top-N recommenders (ALS, EASE, their ensemble) and rating models (biased MF and
the MF + neighbourhood blend). Shared building blocks live in `common`; submodules are imported on
demand so that loading one model does not pull in another's dependencies (`implicit` is only needed
by `als`)."""
