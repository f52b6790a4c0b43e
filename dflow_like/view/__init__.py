"""Pictures of a run: its plan as a graph, a live summary, and views built on them.

``plan`` turns a workflow definition into the graph it will run (before it runs);
``summary`` reads a run's state with a fixed number of aggregate queries; ``layout``
and ``svg`` draw the graph offline; ``notebook`` and ``terminal`` are the two faces.
"""
