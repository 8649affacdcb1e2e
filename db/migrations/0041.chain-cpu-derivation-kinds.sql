-- 0041: the derivation cache also keeps exception chains (app._derive_exceptions): whether a chain
-- of two or more exceptions is to be scrubbed, and its causes' frames reduced for grouping, once
-- per distinct chain.
COMMENT ON COLUMN app.derivation_cache.kind IS 'stack_trace, user_agent or exceptions (app.derive)';
