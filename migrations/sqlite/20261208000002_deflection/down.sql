DROP TABLE deflection_threads;
DROP TABLE deflection_visits;
