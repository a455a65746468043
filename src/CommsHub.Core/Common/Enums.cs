namespace CommsHub.Core.Common;

public enum IncidentStatus { Investigating, Identified, Monitoring, Resolved, Postmortem }

public enum Impact { None, Minor, Major, Critical }

public enum ComponentStatus { Operational, DegradedPerformance, PartialOutage, MajorOutage, UnderMaintenance }

public enum Channel { Email, Sms, Social, Chat, Webhook, Web }

public enum DeliveryStatus { Queued, Sent, Delivered, Failed, Bounced, Suppressed, Sandboxed }

public enum SubscriberStatus { Pending, Confirmed, Unsubscribed, Suppressed }
