"""HTTP handlers: one module per API feature, all built on base.BaseHandler."""
