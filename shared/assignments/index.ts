export { AssignmentService } from './service';
export { KinesisExposureLog, LazyExposureLog } from './exposures';
export type { Exposure, ExposureLog } from './exposures';
