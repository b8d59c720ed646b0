"""The package's own fixed-step scan engine (private): every fixed-grid run.

`_scan` integrates blocks of steps (Euler, Heun, RK4) with noise, stimulus and the
delay history; `_delay_plan` is the blocked delayed read and its layout;
`_network_read` turns a `Network` into that layout for one ``dt``.
"""
