DROP TABLE topic_vectors;
