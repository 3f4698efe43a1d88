//! Billing state and the rule it sets on who may act.
