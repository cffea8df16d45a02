// `moka-js/otel` (ES modules): the same objects as the CommonJS entry.
import api from './otel.js'

export const { instrument } = api
export default api
