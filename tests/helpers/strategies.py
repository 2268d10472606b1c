"""Hypothesis strategies the malformed-input tests share."""
from hypothesis import strategies as st

# Any JSON value, with huge integers, any float JSON can write and nesting a few levels deep.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10 ** 30), max_value=10 ** 30)
    | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=6),
    max_leaves=20)
