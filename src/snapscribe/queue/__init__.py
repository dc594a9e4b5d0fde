"""The upload stream: Kafka messages, a local dev broker, the publisher and the worker fleet.

``messages`` defines what travels on the topics, ``producer`` publishes it, ``worker``
consumes uploads in a consumer group and ``offsets`` decides what may be committed.
"""
