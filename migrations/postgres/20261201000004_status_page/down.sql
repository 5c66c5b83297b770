DROP TABLE status_subscription_components;
DROP TABLE status_subscriptions;
DROP TABLE incident_updates;
DROP TABLE incident_components;
DROP TABLE incidents;
DROP TABLE status_components;
