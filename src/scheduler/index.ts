// The scheduler's public surface.
export { startScheduler, type Scheduler, type SchedulerOptions, type SchedulerStats } from './scheduler.js';
export { defaultProfile, binPackingProfile, defaultPlugins, defaultSchedulerName, type Profile, type PluginConfig } from './profile.js';
