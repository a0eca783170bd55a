export { AssignmentService } from './service';
export { KinesisExposureLog } from './exposures';
export type { Exposure, ExposureLog } from './exposures';
