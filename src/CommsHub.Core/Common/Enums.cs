namespace CommsHub.Core.Common;

/// <summary>
/// As Statuspage has it, one status field for both kinds: an incident goes investigating → resolved
/// (or postmortem); a maintenance scheduled → in_progress → verifying → completed.
/// </summary>
public enum IncidentStatus { Investigating, Identified, Monitoring, Resolved, Postmortem, Scheduled, InProgress, Verifying, Completed }

public enum IncidentKind { Incident, Maintenance }

public enum Impact { None, Minor, Major, Critical }

public enum ComponentStatus { Operational, DegradedPerformance, PartialOutage, MajorOutage, UnderMaintenance }

public enum Channel { Email, Sms, Social, Chat, Webhook, Web }

public enum DeliveryStatus { Queued, Sent, Delivered, Failed, Bounced, Suppressed, Sandboxed }

public enum SubscriberStatus { Pending, Confirmed, Unsubscribed, Suppressed }

/// <summary>What a delivery is: every message CommsHub sends is one, whatever prompted it.</summary>
public enum DeliveryKind { IncidentUpdate, Maintenance, Confirmation, OperatorNotice, Campaign }
