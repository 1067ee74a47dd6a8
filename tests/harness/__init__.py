"""Test harnesses that stand outside the product: the fault-injecting proxy and the stack behind it."""
