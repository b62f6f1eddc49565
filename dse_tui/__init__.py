"""dse-tui: the backup console of the DSE backup procedure (PRO 7.5 DSE 02).

Kept free of heavy imports: the headless CLI must start fast.
"""

__version__ = "0.1.0"
