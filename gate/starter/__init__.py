"""``gate init``: a starter policy from what a project runs now.

``discover`` reads the project through the providers into an ``Inventory``
(names and decisions only); ``render`` writes that inventory as a policy built
from the ``checks/`` library. The two are apart because they sit on opposite
sides of the layer rule: discovery calls Google APIs, rendering is pure text
and never sees a value it could leak.
"""
