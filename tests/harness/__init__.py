"""Test harnesses that stand outside the product: the fault-injecting proxy and the stack behind it, and
local fakes of outside services that moto does not serve (phone calls, Duo), run as real servers."""
