//! tastebud-train: loads interaction logs, trains the encoders, evaluates them against
//! baselines with a full-ranking leave-one-out protocol, and writes the model files.

pub mod baselines;
pub mod budget;
pub mod catalog;
pub mod data;
pub mod edge;
pub mod eval;
pub mod fit;
pub mod loss;
pub mod page;
pub mod report;
pub mod synthetic;
