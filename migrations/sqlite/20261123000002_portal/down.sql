DROP TABLE business_calendar;
DROP TABLE ticket_events;
DROP TABLE tickets;
DROP TABLE keywords;
DROP TABLE applications;
DROP TABLE environments;
